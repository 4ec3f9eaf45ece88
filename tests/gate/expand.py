# Moved to docs_site/expand.py (the site's build code); this alias goes once every importer is updated.
from docs_site.expand import *  # noqa: F401,F403
from docs_site.expand import REPO, expand, nav_pages  # noqa: F401
