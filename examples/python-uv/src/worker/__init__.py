import httpx


def main() -> None:
    print(f"worker: httpx {httpx.__version__}")
