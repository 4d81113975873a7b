# category: fork bomb
# expect: refused
# os.forkpty: a fork with a pseudo-terminal.
import os
pid, fd = os.forkpty()
