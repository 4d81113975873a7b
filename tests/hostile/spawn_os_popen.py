# category: spawning shells
# expect: refused
# os.popen.
import os
print(os.popen("id").read())
