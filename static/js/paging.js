// Loading more on scroll, for the conversation list, the thread's older messages and the
// Emails list: the "Load more" buttons are also the sentinels, watched within their
// scrolling pane. Each is observed again after a page arrives, so that a page too short
// to fill the pane still brings the next one.

const loaders = new Map();
const observers = new Map();

function watchWithin(pane) {
  if (!("IntersectionObserver" in window)) {
    return null; // the buttons still work
  }
  return new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting && !entry.target.hidden && !entry.target.disabled) {
          loaders.get(entry.target)?.();
        }
      }
    },
    { root: pane, rootMargin: "200px 0px" },
  );
}

export function loadOnScroll(button, pane, load) {
  loaders.set(button, load);
  observers.set(button, watchWithin(pane));
}

export function reobserve(element) {
  const observer = observers.get(element);
  if (!observer) {
    return;
  }
  observer.unobserve(element);
  if (!element.hidden) {
    observer.observe(element);
  }
}
