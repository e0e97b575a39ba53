;;; snippet-observer.el --- Reports what a documented set-up did, for tests/emacs/test_emacs_snippets.py -*- lexical-binding: t; -*-

;;; Commentary:

;; Loaded after the user's init file (a snippet from the docs, as
;; written).  Moves point to GWT_LINE/GWT_COLUMN of the visited file
;; and writes, twice a second, a plist to GWT_REPORT: whether
;; ghostwright is loaded and on, the transport, the ghost text shown.
;; It changes nothing of the set-up under test.

;;; Code:

(defvar gwt-shown nil "Last (TEXT . FINAL) shown by ghostwright.")

(defun gwt-report ()
  "Write what the visited file's buffer has of ghostwright to GWT_REPORT."
  (let* ((buffer (find-buffer-visiting (getenv "GWT_FILE")))
         (report
          (with-current-buffer (or buffer (current-buffer))
            (list :loaded (featurep 'ghostwright)
                  :major major-mode
                  :mode (bound-and-true-p ghostwright-mode)
                  :transport (and (fboundp 'ghostwright--current-transport)
                                  (car (ignore-errors (ghostwright--current-transport))))
                  :shown (car gwt-shown) :final (cdr gwt-shown)
                  :messages (with-current-buffer (messages-buffer)
                              (buffer-substring-no-properties
                               (save-excursion (goto-char (point-max)) (forward-line -8) (point))
                               (point-max)))))))
    (with-temp-file (getenv "GWT_REPORT")
      (prin1 report (current-buffer)))))

(with-eval-after-load 'ghostwright
  (add-hook 'ghostwright-show-functions
            (lambda (text final) (setq gwt-shown (cons text final)))))

(run-with-timer
 0.3 nil
 (lambda ()
   (when-let ((buffer (find-buffer-visiting (getenv "GWT_FILE"))))
     (with-current-buffer buffer
       (goto-char (point-min))
       (forward-line (1- (string-to-number (getenv "GWT_LINE"))))
       (move-to-column (string-to-number (getenv "GWT_COLUMN")))))))
(run-with-timer 0.5 0.5 #'gwt-report)

(provide 'snippet-observer)
;;; snippet-observer.el ends here
