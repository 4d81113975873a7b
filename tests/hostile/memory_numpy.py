# category: memory bomb
# expect: memory
# An 8 GiB numpy array, filled so that the pages are really used.
# requires: numpy
import numpy as np
a = np.ones((1024, 1024, 1024), dtype=np.float64)
