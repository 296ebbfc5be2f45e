"""gunicorn reads this file from the working directory (`make run`): its log lines share the site's format and time."""

import os

from portal import logs

logconfig_dict = logs.config(os.environ.get("LOG_LEVEL", "INFO"))
# The formatter stamps the time; the access line keeps the rest of gunicorn's usual fields.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
