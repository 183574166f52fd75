"""The renderings of a `Report`: terminal tables (rich), JSON, and one self-contained HTML page (jinja2 + matplotlib
charts), the decision section of each (`decision`), and the `compare` view (`comparison`)."""
