# category: write outside
# expect: refused
# Flips a symlink between an inside and an outside target while another thread writes through it.
import os, threading
open("inside.txt", "w").close()
stop = False
refusals = []

def flip():
    while not stop:
        for target in ("inside.txt", "__CANARY__"):
            try:
                os.remove("l")
            except OSError:
                pass
            try:
                os.symlink(target, "l")
            except OSError as exc:
                refusals.append(exc)

t = threading.Thread(target=flip)
t.start()
for _ in range(300):
    try:
        with open("l", "a") as fh:
            fh.write("pwned")
    except OSError as exc:
        refusals.append(exc)
stop = True
t.join()
raise refusals[-1]
