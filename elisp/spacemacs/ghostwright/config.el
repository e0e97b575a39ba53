;;; config.el --- ghostwright layer configuration file for Spacemacs -*- lexical-binding: t; -*-

;;; Commentary:

;; Layer variables; set them in `dotspacemacs-configuration-layers', e.g.
;;   (ghostwright :variables ghostwright-layer-elisp-directory "/path/to/ghostwright/elisp")

;;; Code:

(defvar ghostwright-layer-elisp-directory nil
  "Directory of ghostwright.el and its transports: the checkout's elisp/ folder.
When nil, the layer looks two folders above its own real location,
which is the checkout when the layer is linked rather than copied.")

(defvar ghostwright-layer-server-command '("ghostwright" "serve")
  "Program and arguments that start the ghostwright server.")

(defvar ghostwright-layer-initialization-options nil
  "Plist sent as `initializationOptions', e.g. (:completion (:debounceMs 150)).")

(defvar ghostwright-layer-transport 'auto
  "How buffers reach the server (`ghostwright-transport').
`auto': lsp-mode's ghostwright add-on in buffers where lsp-mode runs,
ghostwright's own connection in the others (Emacs Lisp, …).
`lsp': only through lsp-mode (and the layer depends on the `lsp' layer).
`standalone': always ghostwright's own connection.")

(defvar ghostwright-layer-enable-in-prog-modes t
  "When non-nil, `ghostwright-mode' is on in every `prog-mode' buffer.")

;; The files of the ghostwright package: the UI (ghostwright.el, which
;; loads the others) and its transports.
(defconst ghostwright-layer--files
  '("ghostwright.el" "ghostwright-jsonrpc.el" "ghostwright-eglot.el" "ghostwright-lsp.el")
  "Files the layer needs in `ghostwright-layer-elisp-directory'.")

;; `:location site' in packages.el: the package's folder must be on the load path.
(let* ((dir (or ghostwright-layer-elisp-directory
                (expand-file-name "../.." (file-name-directory
                                            (file-truename (or load-file-name buffer-file-name))))))
       (missing nil))
  (dolist (file ghostwright-layer--files)
    (unless (file-exists-p (expand-file-name file dir))
      (push file missing)))
  (if (null missing)
      (add-to-list 'load-path dir)
    (message "ghostwright layer: no %s in %s; set ghostwright-layer-elisp-directory"
             (mapconcat #'identity (nreverse missing) ", ") dir)))

;;; config.el ends here
