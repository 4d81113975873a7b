# category: spawning shells
# expect: refused
# asyncio's subprocess API.
import asyncio
async def main():
    p = await asyncio.create_subprocess_shell("touch __WATCH_DIR__/pwned.txt")
    await p.wait()
asyncio.run(main())
