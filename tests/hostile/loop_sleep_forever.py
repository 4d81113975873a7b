# category: infinite loop
# expect: timeout
# Sleeps instead of spinning: only the wall clock stops it (no CPU time is used).
import time
time.sleep(3600)
