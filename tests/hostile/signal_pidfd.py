# category: signals
# expect: refused
# pidfd_open on the server, then pidfd_send_signal.
import os, signal
fd = os.pidfd_open(os.getppid())
signal.pidfd_send_signal(fd, signal.SIGKILL)
