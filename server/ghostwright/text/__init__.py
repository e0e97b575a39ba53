"""Documents as text and as syntax trees, the languages ghostwright knows, and the guards on what it reads."""
