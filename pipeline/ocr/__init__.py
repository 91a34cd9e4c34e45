"""OCR: clean a page (OpenCV), read it with Tesseract, parse words with boxes and confidences."""
