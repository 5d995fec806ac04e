"""kneadback: a live coach for trigger-point self-massage with an FSR on a handheld tool."""

__version__ = "0.1.0"
