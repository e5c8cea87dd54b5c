import { useEffect, useRef, useState } from 'react';

/** The rendered width of an element, kept current, so SVG drawn in pixels keeps its text at true size. */
export function useElementWidth<T extends Element>(fallbackPx: number) {
  const ref = useRef<T | null>(null);
  const [width, setWidth] = useState(fallbackPx);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver((entries) => {
      const measured = Math.round(entries[0]?.contentRect.width ?? 0);
      if (measured > 0) setWidth(measured);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}
