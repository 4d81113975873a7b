# category: read environment
# expect: confined, refused
# Scans every /proc/<pid>/environ for API keys; reports what it found.
import os
found = []
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            found.append(open(f"/proc/{pid}/environ", "rb").read())
        except OSError as exc:
            last = exc
print([f for f in found if b"LINGXI" in f or b"sk-" in f])
