"""The Streamlit app: one module per page, plus the shared state, computations and charts."""
