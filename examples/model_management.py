"""The model catalog: list, inspect, recommend for this machine, download, disk use.

Run: python examples/model_management.py
"""

from chi_llm import ModelManager

manager = ModelManager()
for info in manager.list_models()[:5]:
    state = "downloaded" if info.downloaded else "not downloaded"
    print(f"{info.id:16} {info.fit.explain():60} {state}")

choice = manager.recommend()
print("recommended here:", choice.info.id, "-", choice.reason.split(":")[0])
print("current model:   ", manager.current().id)
path = manager.download("smollm2-135m")  # a no-op when it is already here; verified, resumable
print("default model at:", path)
disk = manager.disk()
print(f"models folder:    {disk.models_dir} ({disk.used_bytes / 2**20:.0f} MiB used)")
