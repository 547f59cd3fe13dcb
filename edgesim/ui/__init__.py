"""Pictures of the simulation: the live dashboard's static assets (``static/``, served at
/edgesim/ui) and self-contained timeline pages (``timeline.render_timeline``)."""
