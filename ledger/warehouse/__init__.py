"""The warehouse export: the log as a star schema of Parquet datasets, partitioned by month, with a manifest."""
