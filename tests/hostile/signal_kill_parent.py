# category: signals
# expect: refused
# SIGKILL to the server.
import os, signal
os.kill(os.getppid(), signal.SIGKILL)
