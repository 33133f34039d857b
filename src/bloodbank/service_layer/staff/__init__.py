"""Staff: accounts and API tokens, logins and sessions, electronic signatures."""
