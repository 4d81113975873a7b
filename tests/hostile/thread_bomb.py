# category: thread bomb
# expect: error, memory, timeout
# Starts sleeping threads until something gives: the address-space limit (each thread reserves a stack) or the wall clock.
import threading, time
threads = []
while True:
    t = threading.Thread(target=time.sleep, args=(3600,), daemon=True)
    t.start()
    threads.append(t)
