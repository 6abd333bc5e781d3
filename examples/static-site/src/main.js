document.body.append("Hello from a static site");
