"""tunewise: decide between prompt engineering, RAG and fine-tuning, with every reason cited."""

__version__ = "0.1.0"
