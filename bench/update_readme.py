"""Write a benchmark result's table into README's Performance section.

python bench/update_readme.py bench/results/<date>-<N>.json
"""

import sys

import report

if __name__ == "__main__":
    sys.exit(report.main([*sys.argv[1:], "--readme"]))
