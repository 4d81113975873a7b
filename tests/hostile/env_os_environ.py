# category: read environment
# expect: confined
# Prints its own environment: none of the server's variables are there.
import os
print(dict(os.environ))
