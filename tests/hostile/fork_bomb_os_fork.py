# category: fork bomb
# expect: refused
# The classic fork bomb.
import os
while True:
    os.fork()
