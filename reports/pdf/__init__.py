"""ReportLab renderers: ``base`` is the page template and the building blocks (headings,
tables, signature boxes) every PDF shares; ``charts`` draws with reportlab.graphics."""
