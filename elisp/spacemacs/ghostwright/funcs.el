;;; funcs.el --- ghostwright layer functions file for Spacemacs -*- lexical-binding: t; -*-

;;; Commentary:

;; Keys while ghost text shows, in evil insert state as in holy mode.

;;; Code:

(defvar ghostwright-active-map)

(defun ghostwright//bind-active-keys ()
  "Bind the accept key of Spacemacs' auto-completion in `ghostwright-active-map'.
Keys of everyday editing keep their meaning.  ESC needs no binding:
leaving insert state moves the cursor, which dismisses the ghost text."
  (define-key ghostwright-active-map (kbd "C-l") #'ghostwright-accept))

(defun ghostwright//keep-keys-above-evil ()
  "Keep `ghostwright-active-map' ahead of evil's maps.
Evil's insert state binds keys of its own that the ghost-text keys
share; these must win while ghost text shows, and only then."
  (let ((raise (lambda ()
                 (setq emulation-mode-map-alists
                       (cons 'ghostwright--emulation-alist
                             (delq 'ghostwright--emulation-alist emulation-mode-map-alists))))))
    (funcall raise)
    (add-hook 'evil-insert-state-entry-hook raise)))

;;; funcs.el ends here
