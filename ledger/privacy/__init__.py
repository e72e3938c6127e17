"""Personal data: per-customer data keys wrapped by a master key, sealed fields, masking and erasure."""
