"""The demo's shared facts: every demo account's password and the name its writes are made under."""

DEMO_PASSWORD = "Demo-ssj-2024"
ACTOR = "演示数据"
