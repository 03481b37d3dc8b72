document.documentElement.dataset.pagesScript = "ran";
