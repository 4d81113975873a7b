# category: signals
# expect: refused
# signal.pthread_kill.
import signal, threading
signal.pthread_kill(threading.main_thread().ident, signal.SIGKILL)
