"""The real-time analysis engine: samples in; strokes, rate, holds, contact, bouts and signal
quality out (`kneadback.engine.engine.Engine`)."""
