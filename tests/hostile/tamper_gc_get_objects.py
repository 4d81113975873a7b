# category: gc hunting
# expect: refused
# Hunts the hook's state with gc.get_objects.
import gc
for obj in gc.get_objects():
    if isinstance(obj, (set, list)) and "os.system" in obj:
        obj.clear()
