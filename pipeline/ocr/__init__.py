"""OCR: clean a page image (OpenCV), read it with Tesseract, parse words with boxes and confidences."""
