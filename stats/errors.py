class StatsRowError(ValueError):
    """A statistics row from WeChat that cannot be stored as it is; nothing of its batch is."""
