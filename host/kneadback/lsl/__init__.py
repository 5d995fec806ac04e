"""I/O over the Lab Streaming Layer: the outlet sink (`outlet`), the inlet source (`inlet`), markers
from another stream (`markers_in`) and the stream layout both sides share (`meta`). pylsl is
imported only through `api.load`."""
