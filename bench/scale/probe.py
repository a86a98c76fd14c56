"""Latency of the queries users and admins make most, against a running server with a scale database.

Usage: probe.py URL USER_TOKEN ADMIN_TOKEN [REQUESTS]
Prints p50/p99 in milliseconds per query, sequential requests on one keep-alive connection; a query
gets REQUESTS requests or 20 seconds, whichever ends first (at least 5). The first call of each query is
timed on its own: for the admin reports it is the one that fills the daily rollups of the range.
"""

import http.client
import json
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

url, user_token, admin_token = sys.argv[1], sys.argv[2], sys.argv[3]
requests = int(sys.argv[4]) if len(sys.argv) > 4 else 200
parsed = urlparse(url)
connection = http.client.HTTPConnection(parsed.hostname, parsed.port)

now = datetime.now(timezone.utc).replace(microsecond=0)
# The admin console's ranges: whole UTC days, the last 30 of them with today (dates.rs in portal-kit).
today = now.replace(hour=0, minute=0, second=0)
month_ago = (today - timedelta(days=29)).isoformat().replace("+00:00", "Z")
now_text = (today + timedelta(days=1)).isoformat().replace("+00:00", "Z")


def call(token, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}})
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    connection.request("POST", parsed.path, body, headers)
    answer = json.loads(connection.getresponse().read())
    if answer.get("errors"):
        raise SystemExit(f"{query[:60]}: {answer['errors']}")
    return answer["data"]


first_page = call(user_token, "{ me { dustTransactions(first: 20) { pageInfo { endCursor } } } }")
cursor = first_page["me"]["dustTransactions"]["pageInfo"]["endCursor"]

cases = [
    ("me { dustBalance dustTransactions(first: 20) }", user_token,
     "{ me { dustBalance dustTransactions(first: 20) { nodes { id amount type createdAt } } } }", {}),
    ("the next page of that history", user_token,
     "query P($after: String) { me { dustTransactions(first: 20, after: $after) { nodes { id amount } } } }",
     {"after": cursor}),
    ("apps marketplace page (50)", user_token,
     "{ apps(first: 50) { nodes { name builder { fairyname } actions { action dustCost } } } }", {}),
    ("admin users(search:)", admin_token,
     "{ users(search: \"fairy-4242\", first: 20) { totalCount nodes { id fairyname } } }", {}),
    ("admin platformStats, 30 days (the dashboard's query)", admin_token,
     "query S($from: DateTime!, $to: DateTime!) { platformStats(from: $from, to: $to) { "
     "totals { ...M } days { date measures { ...M } } appsByStatus { status count } } } "
     "fragment M on PlatformMeasures { newUsers activeUsers dustGranted dustConsumed dustPurchased "
     "dustRefunded dustRewarded dustAdjusted dustInCirculation llmCalls llmCostUsd llmFallbackRate }",
     {"from": month_ago, "to": now_text}),
    ("admin platformStats, 30 days, top apps", admin_token,
     "query S($from: DateTime!, $to: DateTime!) { platformStats(from: $from, to: $to) { "
     "topAppsByDust { dustSpent app { name } } topAppsByCost { llmCalls llmCostUsd app { name } } } }",
     {"from": month_ago, "to": now_text}),
    ("admin llmAnalytics, 30 days (the LLM screen's query)", admin_token,
     "query L($from: DateTime!, $to: DateTime!) { llmAnalytics(from: $from, to: $to) { fallbackRate "
     "totals { requests successes fallbacks promptTokens completionTokens costUsd uniqueUsers } "
     "byDay { key totals { requests costUsd } } byModel { key totals { requests costUsd } } "
     "byApp { key app { name slug } totals { requests costUsd } } byAction { key totals { requests costUsd } } } }",
     {"from": month_ago, "to": now_text}),
    ("admin ledgerAudit, one chunk", admin_token, "{ ledgerAudit { checkedUsers nextAfter } }", {}),
]

print("| query | first call ms | requests | p50 ms | p99 ms |")
print("|---|---|---|---|---|")
for name, token, query, variables in cases:
    start = time.perf_counter()
    call(token, query, variables)  # warm-up
    first = (time.perf_counter() - start) * 1000
    times = []
    budget_end = time.perf_counter() + 20
    while len(times) < requests and (len(times) < 5 or time.perf_counter() < budget_end):
        start = time.perf_counter()
        call(token, query, variables)
        times.append((time.perf_counter() - start) * 1000)
    rounds = len(times)
    times.sort()
    p50 = times[len(times) // 2]
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"| {name} | {first:.1f} | {rounds} | {p50:.1f} | {p99:.1f} |")
