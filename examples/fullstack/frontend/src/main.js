document.body.append("frontend");
