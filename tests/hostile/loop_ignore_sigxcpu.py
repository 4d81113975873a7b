# category: busy CPU
# expect: timeout
# Ignores SIGXCPU (the soft CPU limit) and SIGTERM, then spins: the hard limit or the wall clock kill it.
import signal
signal.signal(signal.SIGXCPU, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    pass
