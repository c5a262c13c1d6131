"""Security baseline: CSRF, headers, cookies, hosts, redirects, limits, error pages."""
