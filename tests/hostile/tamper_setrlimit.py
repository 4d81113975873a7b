# category: builtins patching
# expect: refused
# Raises its own memory limit before a memory bomb (root may raise hard limits).
import resource
resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
