;;; spacemacs-standin.el --- Loads the ghostwright layer as Spacemacs would -*- lexical-binding: t; -*-

;;; Commentary:

;; Spacemacs cannot be installed here; this stands in for the part of
;; it that loads a layer: the dotfile's `dotspacemacs-configuration-layers'
;; (GWT_SNIPPET, as written in docs/emacs.md) is set, the layer's
;; :variables are set, then the layer's layers.el, packages.el,
;; funcs.el and config.el are loaded from GWT_LAYER_DIR (a copy, as a
;; user may make) and its init functions run, with Debian's real
;; use-package.  Then GWT_FILE, an Emacs Lisp file (no lsp-mode), is
;; visited, a completion is asked for and the outcome printed.

;;; Code:

(setq package-directory-list (list "/usr/share/emacs/site-lisp/elpa"))
(package-initialize)
(require 'use-package)

(defvar gwt-declared-layers nil "Layers the layer declared it depends on.")
(defun configuration-layer/declare-layer-dependencies (layers)
  "Record LAYERS as dependencies."
  (setq gwt-declared-layers (append gwt-declared-layers layers)))
(defmacro spacemacs|add-toggle (name &rest _props)
  "Define the toggle command of NAME."
  `(defun ,(intern (format "spacemacs/toggle-%s" name)) () (interactive)))
(defun spacemacs/declare-prefix (&rest _) "Stand-in." nil)
(defun spacemacs/set-leader-keys (&rest _) "Stand-in." nil)

(defvar dotspacemacs-configuration-layers nil)
(eval (car (read-from-string (format "(setq-default %s)" (getenv "GWT_SNIPPET")))) t)

(let ((entry (assq 'ghostwright (cl-remove-if-not #'consp dotspacemacs-configuration-layers))))
  (let ((vars (cdr (memq :variables entry))))
    (while vars
      (set-default (car vars) (eval (cadr vars) t))
      (setq vars (cddr vars)))))

(let ((dir (file-name-as-directory (getenv "GWT_LAYER_DIR"))))
  (dolist (file '("layers.el" "packages.el" "funcs.el" "config.el"))
    (load (expand-file-name file dir) nil t)))
(ghostwright/init-ghostwright)
(when (memq 'lsp dotspacemacs-configuration-layers)
  (ghostwright/post-init-lsp-mode))

(find-file (getenv "GWT_FILE"))
(goto-char (point-max))
(let ((deadline (+ (float-time) 120)))
  (ghostwright-complete)
  (while (and ghostwright--pending (< (float-time) deadline))
    (accept-process-output nil 0.1))
  (princ (format "RESULT declared=%S mode=%S transport=%S answered=%S\n"
                 gwt-declared-layers (bound-and-true-p ghostwright-mode)
                 (car (ghostwright--current-transport)) (and ghostwright--latency t))))
(ghostwright-shutdown)

(provide 'spacemacs-standin)
;;; spacemacs-standin.el ends here
