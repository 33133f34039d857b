"""Mass casualties: incidents, their casualty counts, and the time-phased shortfall of blood."""
