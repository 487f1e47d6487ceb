"""The Streamlit dashboard: `streamlit run dashboards/streamlit_app.py` (or `tracker dashboard`)."""
