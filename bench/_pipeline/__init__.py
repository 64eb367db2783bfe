"""Parts of bench/event_pipeline.py: process statistics, desktops, call driver, report."""
