"""What mlgate's HTML reports (audit export, monitor) share of their style: the page, its
coloured header and its sections; each report adds its own tables and figures."""

PAGE_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
color:#1f2328;background:#f6f8fa}
main{max-width:1240px;margin:0 auto;padding:16px 24px 40px}
header{padding:16px 20px;border-radius:8px;margin:16px 0;color:#fff}
header h1{margin:0 0 6px;font-size:22px}header p{margin:2px 0}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px;
margin:12px 0}
"""
