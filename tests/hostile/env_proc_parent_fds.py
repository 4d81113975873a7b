# category: read environment
# expect: refused
# Reads the files the server holds open, through /proc/<parent pid>/fd.
import os
for fd in os.listdir(f"/proc/{os.getppid()}/fd"):
    print(open(f"/proc/{os.getppid()}/fd/{fd}", "rb").read(200))
