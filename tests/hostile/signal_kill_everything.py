# category: signals
# expect: refused
# kill(-1): every process the user may signal (everything, for root).
import os, signal
os.kill(-1, signal.SIGKILL)
